//! Following one packet across the hops of a pod's path (`capture --path`).
