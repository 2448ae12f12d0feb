//! Associations kept as text values, in the form of
//! [`Association::serialize`](openid_consumer::store::Association::serialize) (the
//! key-value stores): read back strictly, so a value that is not the association its key
//! is for is an error, never a wrong key or a missing one.

use openid_consumer::store::{Association, AssociationError};

/// Why a stored value is not the association it should be.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BadValue {
    /// Not text.
    #[error("the value is not UTF-8")]
    Text(#[from] std::str::Utf8Error),
    /// Not the serialised form of an association.
    #[error(transparent)]
    Association(#[from] AssociationError),
    /// The association of another handle, under the key of this one.
    #[error("it holds handle {found:?}, not {expected:?}")]
    OtherHandle {
        /// The handle the key is for.
        expected: String,
        /// The handle of the association found.
        found: String,
    },
}

/// The association a stored value holds; with `handle`, it must be that association.
///
/// # Errors
/// [`BadValue`] saying what is wrong with the value.
pub fn association_from_value(value: &[u8], handle: Option<&str>) -> Result<Association, BadValue> {
    let association = Association::deserialize(std::str::from_utf8(value)?)?;
    match handle {
        Some(expected) if association.handle() != expected => Err(BadValue::OtherHandle {
            expected: expected.to_owned(),
            found: association.handle().to_owned(),
        }),
        _ => Ok(association),
    }
}

#[cfg(test)]
mod tests {
    use openid_consumer::crypto::AssociationType;

    use super::*;

    #[test]
    fn values_are_read_strictly() {
        let a = Association::new("h", vec![1; 20], 5, 10, AssociationType::HmacSha1).unwrap();
        let value = a.serialize();
        assert_eq!(association_from_value(value.as_bytes(), Some("h")).unwrap(), a);
        assert_eq!(association_from_value(value.as_bytes(), None).unwrap(), a);
        assert!(matches!(
            association_from_value(value.as_bytes(), Some("other")),
            Err(BadValue::OtherHandle { .. })
        ));
        assert!(matches!(association_from_value(b"\xff", None), Err(BadValue::Text(_))));
        assert!(matches!(association_from_value(b"garbage", None), Err(BadValue::Association(_))));
    }
}
