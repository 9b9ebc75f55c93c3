//! The one way a state is written down: [`slug_enum!`] declares an enum whose variants are
//! stored and sent as fixed strings ("slugs"). The same string in the database, over the
//! wire and in the browser; an unknown string is an error that names it, never a default.

/// A string that is not one of an enum's slugs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{value}\"")]
pub struct UnknownSlug {
    pub what: &'static str,
    pub value: String,
}

/// Declares `enum Name { Variant = "slug", … }` with `as_str`, `FromStr` (an [`UnknownSlug`]
/// for anything else), `Display`, serde as the slug, and (ssr) SurrealDB values as the slug.
#[macro_export]
macro_rules! slug_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $slug:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $slug),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::slug::UnknownSlug;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($slug => Ok($name::$variant),)+
                    _ => Err($crate::slug::UnknownSlug { what: stringify!($name), value: s.to_string() }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }

        $crate::slug_surreal!($name);
    };
}

/// The SurrealDB half of [`slug_enum!`]: a string column.
#[cfg(feature = "ssr")]
#[macro_export]
#[doc(hidden)]
macro_rules! slug_surreal {
    ($name:ident) => {
        impl ::surrealdb::types::SurrealValue for $name {
            fn kind_of() -> ::surrealdb::types::Kind {
                <String as ::surrealdb::types::SurrealValue>::kind_of()
            }
            fn into_value(self) -> ::surrealdb::types::Value {
                ::surrealdb::types::SurrealValue::into_value(self.as_str().to_string())
            }
            fn from_value(v: ::surrealdb::types::Value) -> Result<Self, ::surrealdb::types::Error> {
                let s = <String as ::surrealdb::types::SurrealValue>::from_value(v)?;
                s.parse().map_err(|e: $crate::slug::UnknownSlug| {
                    ::surrealdb::types::Error::internal(e.to_string())
                })
            }
        }
    };
}

#[cfg(not(feature = "ssr"))]
#[macro_export]
#[doc(hidden)]
macro_rules! slug_surreal {
    ($name:ident) => {};
}

#[cfg(test)]
mod tests {
    crate::slug_enum! {
        enum Colour { Red = "red", DarkBlue = "dark-blue" }
    }

    #[test]
    fn slugs_round_trip_and_unknown_ones_are_named() {
        for c in Colour::ALL {
            assert_eq!(c.as_str().parse::<Colour>().unwrap(), *c);
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), *c);
        }
        assert_eq!(
            serde_json::to_string(&Colour::DarkBlue).unwrap(),
            "\"dark-blue\""
        );
        let e = "purple".parse::<Colour>().unwrap_err();
        assert_eq!(e.to_string(), "unknown Colour \"purple\"");
        assert!(serde_json::from_str::<Colour>("\"Red\"").is_err());
    }
}
