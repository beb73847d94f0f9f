//! Mouse events: the wheel moves the selection; a click is resolved by the view's hit-test (the
//! layer that knows where everything is drawn) and handed to the app as a [`ClickTarget`], so the
//! app never depends on the view.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use crate::ui::app::keymap::Action;
use crate::ui::app::{App, ClickTarget, Outcome};
use crate::ui::view;

pub fn on_mouse(app: &mut App, mouse: MouseEvent) -> Outcome {
    match mouse.kind {
        MouseEventKind::ScrollDown => app.act(Action::Down),
        MouseEventKind::ScrollUp => app.act(Action::Up),
        MouseEventKind::Down(MouseButton::Left) => {
            let target: Option<ClickTarget> = view::hit_test(app, mouse.column, mouse.row);
            app.on_click(target)
        }
        _ => Outcome::default(),
    }
}
