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
   * touches no interview, so it must never hold up an answer's save behind it;
   * cancelling an export must not wait behind the export it cancels.
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

  /** Runs an export, passing each `{done, total}` progress report to `onProgress`. */
  function exportParadata(format, dir, onProgress, studyId, ids) {
    const core = window.__TAURI__ && window.__TAURI__.core;
    if (!core) return Promise.reject({ code: "internal", message: "the window is not connected to Canvass" });
    const channel = new core.Channel();
    channel.onmessage = onProgress;
    return call("export_paradata", { format, dir, study_id: studyId ?? null, ids: ids ?? null, on_progress: channel });
  }

  /** Exports a study's data (`request` as the export_data command takes it), reporting progress. */
  function exportData(request, dir, onProgress) {
    const core = window.__TAURI__ && window.__TAURI__.core;
    if (!core) return Promise.reject({ code: "internal", message: "the window is not connected to Canvass" });
    const channel = new core.Channel();
    channel.onmessage = onProgress;
    return call("export_data", { request, dir, on_progress: channel });
  }

  /** The system's folder picker; resolves to the chosen path, or null when the user closed it. */
  function chooseFolder(title) {
    const dialog = window.__TAURI__ && window.__TAURI__.dialog;
    if (!dialog) return Promise.reject({ code: "internal", message: "the folder picker is not available" });
    return dialog.open({ directory: true, multiple: false, title }).catch((e) => {
      throw normalize(e);
    });
  }

  return {
    exportParadata,
    cancelExport: () => callNow("cancel_export", {}),
    chooseFolder,
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
    setLanguage: (interviewId, language) => call("set_language", { interview_id: interviewId, language }),
    addRepeat: (interviewId, rangePath) => call("add_repeat", { interview_id: interviewId, range_path: rangePath }),
    removeRepeat: (interviewId, instancePath) => call("remove_repeat", { interview_id: interviewId, instance_path: instancePath }),
    breakOffInterview: (interviewId, reason) => call("break_off_interview", { interview_id: interviewId, reason }),
    newerVersions: (interviewId) => call("newer_versions", { interview_id: interviewId }),
    moveToVersion: (interviewId, version, apply) => call("move_to_version", { interview_id: interviewId, version, apply }),
    capiDashboard: (filter) => call("capi_dashboard", { filter }),
    capiAssignment: (assignmentId) => call("capi_assignment", { assignment_id: assignmentId }),
    capiInterviewAssignment: (interviewId) => call("capi_interview_assignment", { interview_id: interviewId }),
    capiStartInterview: (assignmentId) => call("capi_start_interview", { assignment_id: assignmentId }),
    capiRecordVisit: (visit) => call("capi_record_visit", { visit }),
    capiRecordConsent: (interviewId, given, statement) => call("capi_record_consent", { interview_id: interviewId, given, statement }),
    capiRespondentMode: (interviewId, on, pin) => call("capi_respondent_mode", { interview_id: interviewId, on, pin }),
    capiRespondentLock: () => call("capi_respondent_lock", {}),
    capiJumpToItem: (interviewId, itemPath) => call("capi_jump_to_item", { interview_id: interviewId, item_path: itemPath }),
    attachFile: (interviewId, item, fileName, dataBase64) => call("attach_file", { interview_id: interviewId, item, file_name: fileName, data_base64: dataBase64 }),
    clearAttachment: (interviewId, item) => call("clear_attachment", { interview_id: interviewId, item }),
    attachment: (interviewId, item) => call("attachment", { interview_id: interviewId, item }),
    recordGeopoint: (interviewId, item, point) => call("record_geopoint", { interview_id: interviewId, item, point }),
    capiShowCard: (interviewId) => call("capi_show_card", { interview_id: interviewId }),
    syncStatus: () => callNow("sync_status", {}),
    syncSignIn: (serverUrl, user, password) => callNow("sync_sign_in", { server_url: serverUrl, user, password }),
    syncNow: () => callNow("sync_now", {}),
    syncLog: (limit) => callNow("sync_log", { limit }),
    syncWaiting: () => callNow("sync_waiting", {}),
    catiSetup: (studyId) => call("cati_setup", { study_id: studyId }),
    catiNext: () => call("cati_next", {}),
    catiCase: (studyId, caseId) => call("cati_case", { study_id: studyId, case_id: caseId }),
    catiRecord: (r) => call("cati_record", {
      study_id: r.studyId, case_id: r.caseId, outcome: r.outcome, started_at: r.startedAt ?? null,
      phone_index: r.phoneIndex ?? null, note: r.note || "", appointment_at: r.appointmentAt ?? null,
      hard: !!r.hard, interview_id: r.interviewId ?? null,
    }),
    catiAppointments: (fromMs, toMs) => call("cati_appointments", { from_ms: fromMs, to_ms: toMs }),
    catiStartInterview: (studyId, caseId) => call("cati_start_interview", { study_id: studyId, case_id: caseId }),
    reviewIsSupervisor: () => call("review_is_supervisor", {}),
    reviewList: (filter) => call("review_list", { filter }),
    reviewDetail: (interviewId) => call("review_detail", { interview_id: interviewId }),
    reviewDecide: (interviewId, decision, comment, paths) => call("review_decide", { interview_id: interviewId, decision, comment, paths }),
    reviewNotes: () => call("review_notes", {}),
    reviewSetSpeeding: (studyId, seconds) => call("review_set_speeding", { study_id: studyId, seconds }),
    exportData,
    exportLanguages: (studyId) => call("export_languages", { study_id: studyId }),
    exportCalls: (format, dir, study, ids) => call("export_calls", { format, dir, study: study ?? null, ids: ids ?? null }),
    dashboardReport: (studyId, language) => call("dashboard_report", { study_id: studyId, language: language ?? null }),
    dashboardSave: (studyId, language, dir, charts) => call("dashboard_save", { study_id: studyId, language: language ?? null, dir, charts }),
    interviewOutline: (interviewId) => call("interview_outline", { interview_id: interviewId }),
    jumpTo: (interviewId, path) => call("jump_to", { interview_id: interviewId, path }),
    setZoom: (scale) => callNow("set_zoom", { scale }),
  };
})();
