//! Styles. Only the 8 basic ANSI colours on the terminal's own background, so the screen reads on
//! dark and light themes alike; selection is reverse video. `NO_COLOR` (https://no-color.org)
//! keeps bold, dim, underline and reverse and drops every colour.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;

use crate::ui::app::model::Tone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub colour: bool,
}

const SERIES: [Color; 5] = [
    Color::Cyan,
    Color::Magenta,
    Color::Yellow,
    Color::Green,
    Color::Blue,
];
const MONO_MARKERS: [Marker; 5] = [
    Marker::Braille,
    Marker::Dot,
    Marker::Block,
    Marker::Bar,
    Marker::HalfBlock,
];

impl Theme {
    /// Colours unless `NO_COLOR` is set to a non-empty value.
    pub fn from_env() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { colour: !no_color }
    }

    pub fn colour() -> Self {
        Theme { colour: true }
    }

    pub fn mono() -> Self {
        Theme { colour: false }
    }

    fn fg(self, colour: Color) -> Style {
        if self.colour {
            Style::new().fg(colour)
        } else {
            Style::new()
        }
    }

    pub fn tone(self, tone: Tone) -> Style {
        match tone {
            Tone::Normal => Style::new(),
            Tone::Dim => Style::new().add_modifier(Modifier::DIM),
            Tone::Accent => self.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Tone::Good => self.fg(Color::Green),
            Tone::Warn => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Tone::Bad => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    /// Black on cyan reads on dark and light backgrounds alike (both colours are explicit);
    /// without colour, reverse video.
    pub fn selected(self) -> Style {
        if self.colour {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn header(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// The `unknown` row: the main question is "who is this?".
    pub fn unknown(self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::ITALIC)
    }

    pub fn alarm(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn acked(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn series(self, i: usize) -> Style {
        self.fg(SERIES[i % SERIES.len()])
    }

    /// Without colour, series differ by their marker.
    pub fn marker(self, i: usize) -> Marker {
        if self.colour {
            Marker::Braille
        } else {
            MONO_MARKERS[i % MONO_MARKERS.len()]
        }
    }

    pub fn bar(self) -> Style {
        self.fg(Color::Cyan)
    }
}
