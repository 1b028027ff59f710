//! Progress on stderr: a spinner with the current stage when stderr is a terminal,
//! plain lines with `-v`, nothing with `-q`. stdout carries only the requested output.

#![allow(clippy::print_stderr)] // This module is where the binary talks to the person at the terminal.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::Global;

/// Reports stages of a command.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    verbose: bool,
    quiet: bool,
    started: Instant,
}

impl Progress {
    pub(crate) fn new(global: &Global) -> Self {
        let show_bar = !global.quiet && std::io::stderr().is_terminal();
        let bar = show_bar.then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Self { bar, verbose: global.verbose, quiet: global.quiet, started: Instant::now() }
    }

    /// Starts a stage.
    pub(crate) fn stage(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_string());
        }
        if self.verbose {
            self.line(&format!("[{:>7.3} s] {message}", self.started.elapsed().as_secs_f64()));
        }
    }

    /// A line for the person at the terminal (not with `-q`).
    pub(crate) fn info(&self, message: &str) {
        if !self.quiet {
            self.line(message);
        }
    }

    fn line(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }

    /// Turns the spinner into a bar counting `total` units (paths, grid points).
    pub(crate) fn begin_count(&self, total: u64, unit: &str) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(0);
            if let Ok(style) = ProgressStyle::with_template(&format!(
                "{{bar:40}} {{pos}}/{{len}} {unit} {{elapsed}} eta {{eta}} {{msg}}"
            )) {
                bar.set_style(style);
            }
        }
        if self.verbose {
            self.line(&format!("[{:>7.3} s] {total} {unit} to run", self.started.elapsed().as_secs_f64()));
        }
    }

    /// Sets how many units are done.
    pub(crate) fn set_count(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    /// Clears the spinner.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// An error line, shown even with `-q`.
pub(crate) fn error(message: &str) {
    eprintln!("error: {message}");
}
