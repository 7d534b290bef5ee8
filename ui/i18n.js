// i18n.js: the UI's message catalogue. Every string the UI shows comes from here (UI languages arrive with issue #9).
"use strict";

const MESSAGES = {
  en: {
    "home.title": "Interviews",
    "home.studies": "Studies",
    "home.questions": (n) => (n === 1 ? "1 question" : `${n} questions`),
    "home.start": "Start interview",
    "home.start_key": "N",
    "home.in_progress": "Unfinished interviews",
    "home.resume": "Resume",
    "home.resume_at": (p, t) => `stopped at question ${p} of ${t}`,
    "home.completed": "Completed interviews",
    "home.none_completed": "No completed interviews yet.",
    "home.col_completed": "Completed",
    "home.col_study": "Study",
    "home.col_answers": "Answers",
    "home.col_id": "Interview",
    "home.just_completed": "Interview completed and saved.",
    "home.db": (p) => `Data file: ${p}`,
    "interview.progress": (p, t) => `Question ${p} of ${t}`,
    "interview.back": "Back",
    "interview.next": "Next",
    "interview.finish": "Finish",
    "interview.home": "Pause",
    "interview.required": "Required",
    "interview.instructions": "Interviewer:",
    "interview.acknowledge": "OK",
    "interview.text_placeholder": "Type the answer",
    "interview.keys": "Digits choose · Enter next · Alt+← or Backspace back · Esc pause",
    "save.saving": "Saving…",
    "save.saved": "Saved",
    "save.failed": "Not saved",
    "error.startup_title": "Canvass could not open its data",
    "error.startup_help": "Your interviews are not lost. Close Canvass and ask your supervisor; quote the message below.",
    "error.startup_help.incompatible_database":
      "Your interviews are not lost: this data file was saved by a newer version of Canvass. Install that version to carry on; nothing in the file was changed.",
    "error.startup_help.damaged_database":
      "The data file failed its safety check. Nothing will be written to it. Restore the newest backup as shown below, or ask your supervisor.",
    "error.unexpected": "Something went wrong in the window. Your saved answers are safe.",
    "error.dismiss": "Dismiss",
  },
};

let currentLocale = "en";

/** Returns the message for `key`, formatted with `args` when the entry is a function. */
function t(key, ...args) {
  const entry = MESSAGES[currentLocale][key] ?? MESSAGES.en[key];
  if (entry === undefined) return key;
  return typeof entry === "function" ? entry(...args) : entry;
}
