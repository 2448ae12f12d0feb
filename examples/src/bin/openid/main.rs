//! The `openid` command-line tool (being written).

fn main() {}
