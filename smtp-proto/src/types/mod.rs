//! The vocabulary of SMTP: paths, commands, replies, SASL values.

pub mod address;
pub mod command;
pub mod reply;
pub mod sasl;
pub(crate) mod text;

pub use address::{AddressLiteral, Domain, ForwardPath, Host, Mailbox, ReversePath};
pub use command::{Body, Command, MailParameters, Notify, Orcpt, Parameter, RcptParameters, Ret};
pub use reply::{EnhancedStatus, Reply, ReplyCode, Severity};
pub use sasl::{Credentials, InitialResponse, Mechanism, Secret};
