//! limfac: turn what is heard in weekly engineering reviews into three
//! decisions — is each piece of work converging or diverging, what is the one
//! limiting factor this week, and which deadline has a 50% chance.
//!
//! The crate is split into a pure core (`model`, `forecast`, `limiting`,
//! `deadlines`, `demo_data`), one module that speaks SQL (`store`), rendering
//! (`render`, `chart`), and thin commands (`commands`) wired up by `cli`.

pub mod analysis;
pub mod chart;
pub mod chart_data;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod complete;
pub mod config;
pub mod csv_format;
pub mod deadlines;
pub mod demo_data;
pub mod error;
pub mod files;
pub mod forecast;
pub mod ics;
pub mod limiting;
pub mod model;
pub mod output;
pub mod plausible;
pub mod render;
pub mod report;
pub mod scale_data;
pub mod store;
pub mod suggest;
pub mod validate;
