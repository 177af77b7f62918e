"""Numba kernels: module-level pure functions of arrays and scalars.

Nothing here validates input or imports scikit-learn; callers in the
estimator modules do that once.  Every kernel has a NumPy reference in
``tests/_naive.py`` and a test comparing the two.
"""
