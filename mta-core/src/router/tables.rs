//! The tables a configuration refers to, opened once and refreshed on
//! demand.

use std::collections::HashMap;

use crate::config::{DomainList, DomainPattern, MainConfig, NetworkPattern, Restriction};
use crate::maps::{Access, Aliases, MapError, MapList, Table, TableRef, Text, Transport, Virtual};

/// Every lookup table a [`MainConfig`] names.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// alias_maps.
    pub aliases: MapList<Aliases>,
    /// transport_maps.
    pub transport: MapList<Transport>,
    /// virtual_alias_maps.
    pub virtual_alias: MapList<Virtual>,
    /// virtual_mailbox_maps.
    pub virtual_mailbox: MapList<Text>,
    /// The tables of check_client_access, check_sender_access and
    /// check_recipient_access.
    pub access: HashMap<TableRef, Table<Access>>,
    /// Tables used in domain lists (mydestination, relay_domains, ...) and
    /// in mynetworks.
    pub keyed: HashMap<TableRef, Table<Text>>,
}

impl Tables {
    /// Opens every table the configuration names.
    ///
    /// # Errors
    ///
    /// The first table that cannot be read.
    pub fn open(config: &MainConfig) -> Result<Self, MapError> {
        let mut tables = Tables {
            aliases: MapList::open(&config.alias_maps)?,
            transport: MapList::open(&config.transport_maps)?,
            virtual_alias: MapList::open(&config.virtual_alias_maps)?,
            virtual_mailbox: MapList::open(&config.virtual_mailbox_maps)?,
            ..Tables::default()
        };
        for r in config
            .smtpd_relay_restrictions
            .iter()
            .chain(&config.smtpd_recipient_restrictions)
        {
            if let Restriction::CheckClientAccess(t)
            | Restriction::CheckSenderAccess(t)
            | Restriction::CheckRecipientAccess(t) = r
                && !tables.access.contains_key(t)
            {
                tables.access.insert(t.clone(), Table::open(t)?);
            }
        }
        let lists: [&DomainList; 4] = [
            &config.mydestination,
            &config.relay_domains,
            &config.virtual_alias_domains,
            &config.virtual_mailbox_domains,
        ];
        let mut refs: Vec<&TableRef> = Vec::new();
        for list in lists {
            for p in &list.patterns {
                collect_domain_table(p, &mut refs);
            }
        }
        for p in &config.mynetworks.patterns {
            if let NetworkPattern::Table(t) = p {
                refs.push(t);
            }
        }
        for t in refs {
            if !tables.keyed.contains_key(t) {
                tables.keyed.insert(t.clone(), Table::open(t)?);
            }
        }
        Ok(tables)
    }

    /// Reloads every table whose file changed; returns how many reloaded.
    ///
    /// # Errors
    ///
    /// The first failure (other tables are still refreshed; a table that
    /// failed keeps its old contents).
    pub fn refresh(&mut self) -> Result<usize, MapError> {
        let mut count = 0;
        let mut first: Option<MapError> = None;
        let mut note = |r: Result<usize, MapError>| match r {
            Ok(n) => count += n,
            Err(e) => {
                first.get_or_insert(e);
            }
        };
        note(self.aliases.refresh());
        note(self.transport.refresh());
        note(self.virtual_alias.refresh());
        note(self.virtual_mailbox.refresh());
        for t in self.access.values_mut() {
            note(t.refresh().map(usize::from));
        }
        for t in self.keyed.values_mut() {
            note(t.refresh().map(usize::from));
        }
        match first {
            Some(e) => Err(e),
            None => Ok(count),
        }
    }

    /// Whether the keyed table `t` holds `key` (an unopened table holds
    /// nothing).
    #[must_use]
    pub fn keyed_has(&self, t: &TableRef, key: &str) -> bool {
        self.keyed
            .get(t)
            .is_some_and(|table| table.get(key).is_some())
    }
}

fn collect_domain_table<'a>(p: &'a DomainPattern, out: &mut Vec<&'a TableRef>) {
    match p {
        DomainPattern::Table(t) => out.push(t),
        DomainPattern::Not(inner) => collect_domain_table(inner, out),
        _ => {}
    }
}
