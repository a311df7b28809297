//! wscope: a keyboard-first terminal WebSocket inspector.
//!
//! The UI task owns [`app::App`] and renders it with [`ui`]; the connection
//! task in [`conn`] owns the socket. They talk only through typed channels.

pub mod action;
pub mod app;
pub mod body;
pub mod capture;
pub mod cli;
pub mod commands;
pub mod completions;
pub mod config;
pub mod conn;
pub mod decode;
pub mod export;
pub mod filter;
pub mod flow;
pub mod format;
pub mod frames;
pub mod headless;
pub mod jq;
pub mod json_check;
pub mod json_peek;
pub mod keymap;
pub mod loadtest;
pub mod log_sink;
pub mod palette;
pub mod payload;
pub mod profile;
pub mod protocol;
pub mod record;
pub mod recording;
pub mod replay;
pub mod request;
pub mod sanitize;
pub mod secrets;
pub mod server;
pub mod settings;
pub mod stats;
pub mod tui;
pub mod ui;
