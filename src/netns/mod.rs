//! Finding and entering network namespaces.
