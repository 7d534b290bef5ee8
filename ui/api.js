// api.js: the only file that calls Tauri's invoke. One function per command; errors are {code, message}.
"use strict";

const api = (() => {
  // Calls run one after another, in the order the interviewer made them: an
  // Enter pressed right after a digit must never overtake the save of that digit.
  let queue = Promise.resolve();

  function call(command, args) {
    const run = () => {
      const invoke = window.__TAURI__ && window.__TAURI__.core && window.__TAURI__.core.invoke;
      if (!invoke) {
        return Promise.reject({ code: "internal", message: "the window is not connected to Canvass" });
      }
      return invoke(command, args).catch((e) => {
        throw normalize(e);
      });
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  }

  /**
   * A call outside the queue: sync may wait on the network for minutes, and it
   * touches no interview, so it must never hold up an answer's save behind it.
   */
  function callNow(command, args) {
    const invoke = window.__TAURI__ && window.__TAURI__.core && window.__TAURI__.core.invoke;
    if (!invoke) return Promise.reject({ code: "internal", message: "the window is not connected to Canvass" });
    return invoke(command, args).catch((e) => {
      throw normalize(e);
    });
  }

  /** Every rejection becomes {code, message}, even ones Tauri itself produced as plain strings. */
  function normalize(e) {
    if (e && typeof e === "object" && typeof e.code === "string" && typeof e.message === "string") return e;
    return { code: "internal", message: typeof e === "string" ? e : "unexpected error" };
  }

  return {
    appStatus: () => call("app_status", {}),
    listStudies: () => call("list_studies", {}),
    listInterviews: () => call("list_interviews", {}),
    startInterview: (studyId) => call("start_interview", { study_id: studyId }),
    getScreen: (interviewId) => call("get_screen", { interview_id: interviewId }),
    recordAnswer: (interviewId, item, value) => call("record_answer", { interview_id: interviewId, item, value }),
    nextItem: (interviewId) => call("next_item", { interview_id: interviewId }),
    previousItem: (interviewId) => call("previous_item", { interview_id: interviewId }),
    resumeInterview: (interviewId) => call("resume_interview", { interview_id: interviewId }),
    pauseInterview: (interviewId) => call("pause_interview", { interview_id: interviewId }),
    syncStatus: () => callNow("sync_status", {}),
    syncSignIn: (serverUrl, user, password) => callNow("sync_sign_in", { server_url: serverUrl, user, password }),
    syncNow: () => callNow("sync_now", {}),
    syncLog: (limit) => callNow("sync_log", { limit }),
    syncWaiting: () => callNow("sync_waiting", {}),
  };
})();
