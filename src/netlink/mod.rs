//! rtnetlink queries: routes, neighbours, links, bridge FDB.
