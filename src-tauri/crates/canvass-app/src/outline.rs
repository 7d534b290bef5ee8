//! The interview outline (Ctrl+K) and jumps to any relevant question, group or roster member.
//!
//! A jump follows ODK's jump screen: only relevant items are offered, the jump
//! is logged as a `jump` paradata event naming where it went, and the
//! question then shown opens its `question` span like any other move.

use canvass_store::NewEvent;

use crate::error::{Error, Result};
use crate::interview::{ensure_open, Inner, Screen};
use crate::runner::{self, OutlineItem};
use crate::App;

impl App {
    /// The outline of an open interview: every relevant question, group and
    /// repeat instance with its answered / missing / error state. A read.
    pub fn outline(&self, interview_id: &str) -> Result<Vec<OutlineItem>> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let inst = self.instance(&mut inner, &row)?;
        Ok(runner::outline(inst))
    }

    /// Shows the screen of `path` (a question, or a group or repeat instance,
    /// whose first shown question is taken) and logs the jump.
    ///
    /// An item that does not exist or is not relevant now is refused, so a
    /// jump can never land on a question ODK would not show.
    pub fn jump_to(&self, interview_id: &str, path: &str) -> Result<Screen> {
        let mut inner = self.lock();
        let row = inner.store.interview(interview_id)?;
        ensure_open(&row)?;
        let target = {
            let inst = self.instance(&mut inner, &row)?;
            let unknown = || Error::UnknownItem {
                item: path.to_owned(),
            };
            let id = inst.find(path).ok_or_else(unknown)?;
            if !inst.is_relevant(id) {
                return Err(unknown());
            }
            let screens = runner::screens(inst);
            if screens.is_empty() {
                return Err(unknown());
            }
            let at = runner::position(inst, &screens, Some(path));
            inst.path_of_node(screens[at])
        };
        let Inner {
            store, sessions, ..
        } = &mut *inner;
        let w = store.write(interview_id)?;
        let session = self.session(&w, sessions, &row)?;
        w.close_spans(&session.id, self.offset(&session))?;
        w.event(&NewEvent {
            kind: "jump".into(),
            node: Some(path.to_owned()),
            ..self.instant(&session)
        })?;
        w.set_current_item(Some(&target), self.clock.now_ms())?;
        w.event(&self.span(&session, &target))?;
        w.commit()?;
        self.screen_in(&mut inner, interview_id)
    }
}
