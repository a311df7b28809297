//! The inspector: the request from the command line, a profile or the
//! draft, the settings, and the terminal UI.

use anyhow::Context;

use super::setup::{conn_settings, load_config, open_log, storage};
use crate::action::Action;
use crate::app::file_requests::StoreReply;
use crate::app::{App, InitialRequest};
use crate::cli::{ConnOptions, RequestArgs};
use crate::conn;
use crate::profile::{draft, vars};
use crate::settings::Settings;
use crate::tui::{self, LoopOptions};

/// The most connections of one HAR that `wscope open` shows as tabs; a
/// file with more is listed, to pick one with `--entry`.
const MAX_RECORDING_TABS: usize = 16;

/// `wscope open FILE`: a recording in the inspector, offline; each of a
/// HAR's WebSocket connections in a tab of its own, or the one `--entry`
/// names.
pub async fn open(file: &std::path::Path, entry: Option<usize>, options: &ConnOptions) -> anyhow::Result<u8> {
    let recordings = crate::recording::load(file)?;
    let chosen = if entry.is_none() && recordings.len() <= MAX_RECORDING_TABS {
        recordings
    } else {
        match crate::recording::choose(recordings, entry, &file.display().to_string()) {
            Ok(recording) => vec![recording],
            Err(list) if entry.is_none() => {
                super::emit(list.as_bytes())?;
                return Ok(2);
            }
            Err(list) => anyhow::bail!("{}", list.trim_end()),
        }
    };
    inspect(RequestArgs::default(), options, chosen, None).await.map(|()| 0)
}

/// Opens the tabs of workspace `name`, after any the command line opened
/// (or in place of the first, blank one); returns the tab to show. The
/// open tabs are saved under the name on the way out.
fn open_workspace(
    app: &mut App,
    name: &str,
    storage: Option<&crate::tui::file_worker::Storage>,
    has_tabs: bool,
) -> usize {
    use crate::profile::workspace::{self, WorkspaceTab};
    let Some(storage) = storage else {
        app.report_profile_error("no config directory: pass --config-dir DIR to use workspaces");
        return 0;
    };
    if let Err(error) = crate::profile::store::validate_name(name) {
        app.report_profile_error(&format!("--workspace: {error}"));
        return 0;
    }
    app.workspace_name = Some(name.to_string());
    let path = storage.paths.workspaces().join(format!("{name}.json"));
    let saved = match workspace::load(&path) {
        Ok(Some(saved)) => saved,
        Ok(None) => return 0,
        Err(error) => {
            // Not overwritten on the way out either: it is the user's.
            app.workspace_name = None;
            app.report_profile_error(&format!("workspace {name:?} not opened: {error}"));
            return 0;
        }
    };
    let before = if has_tabs { app.tab_count() } else { 0 };
    for (index, tab) in saved.tabs.into_iter().enumerate() {
        if index > 0 || has_tabs {
            app.new_tab();
        }
        match tab {
            WorkspaceTab::Profile { profile } => match storage.open(&profile) {
                StoreReply::Opened { name, profile, history } => app.open_profile(&name, profile, history),
                StoreReply::Failed { action, error } => {
                    app.report_profile_error(&format!("cannot {action}: {error}"));
                    continue;
                }
                _ => continue,
            },
            WorkspaceTab::Request {
                request,
                dropped_secrets,
            } => {
                app.load_request(*request);
                if !dropped_secrets.is_empty() {
                    // Said in the tab's log, where it stays: each tab has its own.
                    let (session, shared) = app.session_and_shared();
                    session.log_note(
                        std::time::SystemTime::now(),
                        crate::frames::NoteLevel::Warning,
                        &format!(
                            "workspace {name}: secrets are never saved in a workspace: type {} again (or use {{{{env:NAME}}}})",
                            dropped_secrets.join(", ")
                        ),
                        shared,
                    );
                }
            }
        }
        app.update(Action::Connect);
    }
    before + saved.active
}

pub async fn run(request: RequestArgs, options: &ConnOptions) -> anyhow::Result<()> {
    inspect(request, options, Vec::new(), None).await
}

/// What `wscope proxy` hands the inspector: what it captures, and what
/// the first tab (the listener's) says about it.
pub struct ProxyLaunch {
    pub notices: tokio::sync::mpsc::Receiver<crate::capture::Notice>,
    /// Where the interception rule for new captures goes.
    pub hold_rule: tokio::sync::watch::Sender<Option<crate::conn::InterceptRule>>,
    pub banner: Vec<String>,
    /// The listener tab's name.
    pub title: String,
}

/// `wscope proxy` in the inspector: each captured connection a tab.
pub async fn proxy(options: &ConnOptions, launch: ProxyLaunch) -> anyhow::Result<()> {
    inspect(RequestArgs::default(), options, Vec::new(), Some(launch)).await
}

async fn inspect(
    request: RequestArgs,
    options: &ConnOptions,
    recordings: Vec<crate::recording::Recording>,
    proxy: Option<ProxyLaunch>,
) -> anyhow::Result<()> {
    let storage = storage(options).ok();
    let (config, config_error) = load_config(options);
    // The profile is read first: its settings weigh in before anything starts.
    let opened = match (request.profile(), &storage) {
        (Some(name), Some(storage)) => Some(storage.open(name)),
        _ => None,
    };
    let profile = match &opened {
        Some(StoreReply::Opened { profile, .. }) => Some(profile),
        _ => None,
    };
    let settings = Settings::resolve(options, &config.defaults, profile);
    let conn_settings = conn_settings(&settings, options)?;
    let log = open_log(options)?;

    let palette = config.theme.palette().unwrap_or_else(|_| config.theme.preset.palette());
    crate::ui::theme::set(config.theme.preset, palette);
    let mut app = App::new(InitialRequest::default(), None);
    // Sized before anything is logged, so start-up errors stay on screen.
    app.set_tab_defaults(settings.tab.clone());
    match config.keymap() {
        Ok(keymap) => app.keymap = keymap,
        Err(error) => app.report_profile_error(&error),
    }
    if let Some(error) = config_error {
        app.report_profile_error(&error);
    }
    let mut connect_now = request.url.is_some();

    if let Some(storage) = &storage {
        match vars::load_environments(&storage.paths.environments()) {
            Ok(environments) => {
                if let Some(wanted) = &request.environment
                    && !environments.contains_key(wanted)
                {
                    let known: Vec<&str> = environments.keys().map(String::as_str).collect();
                    app.report_profile_error(&format!(
                        "no environment {wanted:?} in {} (known: {})",
                        storage.paths.environments().display(),
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ));
                }
                app.set_environments(environments, request.environment.as_deref());
            }
            Err(error) => app.report_profile_error(&error.to_string()),
        }
        match opened {
            Some(StoreReply::Opened { name, profile, history }) => {
                app.open_profile(&name, profile, history);
                connect_now = true;
            }
            Some(StoreReply::Failed { action, error }) => {
                app.report_profile_error(&format!("cannot {action}: {error}"));
                connect_now = false;
            }
            Some(_) => {}
            // A workspace brings back its own tabs: the draft is not offered
            // over them.
            None if request.url.is_none()
                && request.message.is_none()
                && recordings.is_empty()
                && proxy.is_none()
                && options.workspace.is_none() =>
            {
                match draft::load(&storage.paths.data) {
                    Some(Ok(found)) => app.offer_draft(found),
                    Some(Err(error)) => app.report_profile_error(&format!("the draft could not be read: {error}")),
                    None => {}
                }
            }
            None => {}
        }
    } else if request.profile().is_some() {
        app.report_profile_error("no config directory: pass --config-dir DIR to use profiles");
        connect_now = false;
    }
    // A .proto that does not compile is said at once, not at connect.
    app.start_from_defaults();
    if let Some(text) = &options.group_by {
        let group_by =
            crate::stats::classify::GroupBy::compile(text).map_err(|e| anyhow::anyhow!("--group-by: {e}"))?;
        app.shared.group_by = Some(std::sync::Arc::new(group_by));
    }
    app.apply_command_line(InitialRequest {
        url: request.url.unwrap_or_default(),
        message: request.message.clone().unwrap_or_default(),
        params: request.params.clone(),
        headers: request.headers.clone(),
    });
    if let Some(recording) = recordings.first() {
        app.open_recording(recording);
    }
    app.shared.export_secrets = options.export_secrets;
    if connect_now {
        app.update(Action::Connect);
    }
    // Each further URL gets a tab of its own, with the same -H, -q and -m.
    for url in &request.more_urls {
        app.new_tab();
        app.apply_command_line(InitialRequest {
            url: url.clone(),
            message: request.message.clone().unwrap_or_default(),
            params: request.params.clone(),
            headers: request.headers.clone(),
        });
        app.update(Action::Connect);
    }
    // Each further -p NAME too, opened and connected.
    for name in request.profiles.iter().skip(1) {
        let Some(storage) = &storage else { break };
        match storage.open(name) {
            StoreReply::Opened { name, profile, history } => {
                app.new_tab();
                app.open_profile(&name, profile, history);
                // --protocol, --decode and the like apply to every tab they open.
                app.start_from_defaults();
                app.update(Action::Connect);
            }
            StoreReply::Failed { action, error } => app.report_profile_error(&format!("cannot {action}: {error}")),
            _ => {}
        }
    }
    // A HAR's other connections, a tab each.
    for recording in recordings.iter().skip(1) {
        app.new_tab();
        app.open_recording(recording);
    }
    let mut shown = 0;
    if let Some(name) = &options.workspace {
        shown = open_workspace(
            &mut app,
            name,
            storage.as_ref(),
            connect_now || !request.more_urls.is_empty(),
        );
    }
    if app.tab_count() > 1 {
        app.show_tab(shown);
    }
    let (handle, events) = conn::spawn(conn_settings.clone());
    let events = crate::log_sink::attach(events, log.clone());
    let mut conns = crate::tui::Connections::new(app.active_tab_id(), handle, events, conn_settings, log);
    if let Some(launch) = proxy {
        app.become_listener(&launch.title);
        for line in &launch.banner {
            app.on_proxy_note(false, line);
        }
        conns = conns.with_proxy(launch.notices, launch.hold_rule);
    }
    let loop_options = LoopOptions {
        fps: settings.fps,
        mouse: options.mouse,
    };
    tui::run(app, conns, storage, loop_options)
        .await
        .context("terminal error")
}
