"""Generic solvers: they know models only through the kernel interface of neg.models.base."""
