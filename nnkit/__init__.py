"""nnkit: a small NumPy library with reverse-mode autodiff (see the book)."""
