//! The User Interface extension 1.0: show the provider in a popup, in the user's language,
//! with the site's icon.
//!
//! # Example
//! ```
//! use openid_consumer::extensions::ui::UiRequest;
//! use openid_consumer::extensions::Extension;
//!
//! let request = UiRequest::new().popup().language("fr-FR").icon();
//! assert_eq!(request.args(), [
//!     ("mode".to_owned(), "popup".to_owned()),
//!     ("lang".to_owned(), "fr-FR".to_owned()),
//!     ("icon".to_owned(), "true".to_owned()),
//! ]);
//! ```

use super::Extension;

/// The UI extension's namespace.
pub const UI_NS: &str = "http://specs.openid.net/extensions/ui/1.0";

/// A UI extension request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UiRequest {
    popup: bool,
    language: Option<String>,
    icon: bool,
}

impl UiRequest {
    /// A request changing nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The provider is shown in a popup window (`mode=popup`): it should fit one, and close
    /// it at the end.
    #[must_use]
    pub fn popup(mut self) -> Self {
        self.popup = true;
        self
    }

    /// The user's preferred language, as a BCP 47 tag (`lang`).
    #[must_use]
    pub fn language(mut self, tag: impl Into<String>) -> Self {
        self.language = Some(tag.into());
        self
    }

    /// The provider may show the site's icon, which it finds through the realm's XRDS
    /// (`icon=true`).
    #[must_use]
    pub fn icon(mut self) -> Self {
        self.icon = true;
        self
    }
}

impl Extension for UiRequest {
    fn namespace(&self) -> &str {
        UI_NS
    }

    fn preferred_alias(&self) -> &'static str {
        "ui"
    }

    fn args(&self) -> Vec<(String, String)> {
        let mut args = Vec::new();
        if self.popup {
            args.push(("mode".to_owned(), "popup".to_owned()));
        }
        if let Some(language) = &self.language {
            args.push(("lang".to_owned(), language.clone()));
        }
        if self.icon {
            args.push(("icon".to_owned(), "true".to_owned()));
        }
        args
    }
}
