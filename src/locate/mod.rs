//! Which host interface carries a pod's packets.
