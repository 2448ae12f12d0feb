//! [`Lookup`]: an association lookup, as a backend receives it.

/// What [`OpenIdStore::get_association`](super::OpenIdStore::get_association) asks of
/// [`OpenIdStore::find_association`](super::OpenIdStore::find_association): the
/// association of `server_url` with `handle`, or without one the newest live at `now`
/// (the store clock's time, read once by the contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lookup<'a> {
    /// The provider endpoint the association is with.
    pub server_url: &'a str,
    /// The association's handle; `None` for the newest.
    pub handle: Option<&'a str>,
    /// The store clock's time of the lookup.
    pub now: i64,
}

impl<'a> Lookup<'a> {
    /// A lookup at `now`. Stores receive these from the contract; this constructor is for
    /// wrappers and their tests.
    pub fn new(server_url: &'a str, handle: Option<&'a str>, now: i64) -> Self {
        Self { server_url, handle, now }
    }
}
