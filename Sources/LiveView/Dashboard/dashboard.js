// The wamd live view: polls /healthz, follows /api/v1/events and draws what the model hears.
// Everything goes through fetch (so that a bearer token, when needed, rides in a header); audio
// and pictures become object URLs.
"use strict";

(() => {
  const STRIP_WINDOWS = 240;
  const RECENT_ITEMS = 50;
  const $ = (id) => document.getElementById(id);

  const state = {
    token: sessionStorage.getItem("wamd-token") || "",
    info: null,
    windows: [],          // classified windows, oldest first
    explained: [],        // explained windows, newest first
    shown: null,          // id of the explanation on display
    followLive: true,
    liveEvents: 0,
    pendingExplanation: null,
    healthTimer: null,
  };

  // MARK: - Requests

  class Unauthorized extends Error {}

  async function api(path, options = {}) {
    const headers = new Headers(options.headers || {});
    if (state.token) headers.set("Authorization", "Bearer " + state.token);
    const response = await fetch(path, { ...options, headers, cache: "no-store" });
    if (response.status === 401) {
      $("login").hidden = false;
      throw new Unauthorized("token required");
    }
    return response;
  }

  async function json(path) {
    const response = await api(path);
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    return response.json();
  }

  async function objectURL(path) {
    const response = await api(path);
    if (!response.ok) return null;
    return URL.createObjectURL(await response.blob());
  }

  // MARK: - Live probabilities

  function addWindow(item) {
    state.windows.push(item);
    if (state.windows.length > STRIP_WINDOWS) state.windows.splice(0, state.windows.length - STRIP_WINDOWS);
    const top = item.top[0] || { label: item.prediction, probability: item.probability };
    $("latest").textContent = `latest: ${top.label} ${top.probability.toFixed(2)} · ${item.dbfs.toFixed(1)} dBFS · ` +
      `${item.decision === "explain" ? "explained" : "not explained (" + item.decision.replace("_", " ") + ")"}`;
    scheduleStrip();
  }

  let stripScheduled = false;
  function scheduleStrip() {
    if (stripScheduled) return;
    stripScheduled = true;
    requestAnimationFrame(() => {
      stripScheduled = false;
      drawStrip();
    });
  }

  function cssColor(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function drawStrip() {
    const canvas = $("strip");
    const labels = state.info ? state.info.model.classes : [];
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    canvas.dataset.windows = String(state.windows.length);
    if (!labels.length) return;

    const left = Math.min(92, width * 0.25), lineHeight = 70, gap = 8;
    const plotWidth = width - left - 4;
    const rowHeight = (height - lineHeight - gap) / labels.length;
    // About three pixels per window at least: a phone shows fewer windows than a desktop.
    const columns = Math.max(20, Math.min(STRIP_WINDOWS, Math.floor(plotWidth / 3)));
    const shown = state.windows.slice(-columns);
    const step = plotWidth / columns;
    const text = cssColor("--text"), muted = cssColor("--muted"), accent = cssColor("--accent"), line = cssColor("--line");
    g.font = `${Math.min(11, rowHeight)}px system-ui, sans-serif`;
    g.textBaseline = "middle";

    // Top-class probability with the threshold.
    const threshold = state.info.gates.min_probability;
    g.strokeStyle = line;
    g.strokeRect(left, 0.5, plotWidth, lineHeight - 1);
    g.setLineDash([4, 3]);
    g.strokeStyle = muted;
    const thresholdY = lineHeight - threshold * (lineHeight - 4) - 2;
    g.beginPath();
    g.moveTo(left, thresholdY);
    g.lineTo(left + plotWidth, thresholdY);
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = muted;
    g.textAlign = "right";
    g.fillText("top p", left - 6, lineHeight / 2);
    shown.forEach((w, i) => {
      const x = left + (i + columns - shown.length) * step;
      const y = lineHeight - w.probability * (lineHeight - 4) - 2;
      g.fillStyle = w.decision === "explain" ? accent : muted;
      g.fillRect(x, y, Math.max(1, step - 1), lineHeight - 2 - y);
    });

    // Every class per window.
    const top = lineHeight + gap;
    labels.forEach((label, row) => {
      g.fillStyle = text;
      g.fillText(label, left - 6, top + (row + 0.5) * rowHeight);
    });
    shown.forEach((w, i) => {
      const x = left + (i + columns - shown.length) * step;
      for (const entry of w.top) {
        const row = labels.indexOf(entry.label);
        if (row < 0) continue;
        g.globalAlpha = Math.max(0.08, entry.probability);
        g.fillStyle = accent;
        g.fillRect(x, top + row * rowHeight, Math.max(1, step - 0.5), Math.max(1, rowHeight - 1));
      }
    });
    g.globalAlpha = 1;
  }

  // MARK: - Explanations

  function describe(item) {
    const time = new Date(item.time);
    return { time: time.toLocaleTimeString(), text: `${item.prediction} ${item.probability.toFixed(2)}` };
  }

  function addExplained(item, live) {
    if (!item.id || state.explained.some((e) => e.id === item.id)) return;
    state.explained.unshift(item);
    state.explained.length = Math.min(state.explained.length, RECENT_ITEMS);
    renderRecent();
    if (live && state.followLive) {
      // Explanations of a file arrive in bursts: show the newest once the burst settles.
      clearTimeout(state.pendingExplanation);
      state.pendingExplanation = setTimeout(() => show(state.explained[0].id), 300);
    }
  }

  function renderRecent() {
    const list = $("recent-list");
    list.replaceChildren(...state.explained.map((item) => {
      const entry = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.id = item.id;
      button.setAttribute("aria-current", String(item.id === state.shown));
      const { time, text } = describe(item);
      const label = document.createElement("span");
      label.textContent = `${text} · ${item.source}`;
      const when = document.createElement("span");
      when.className = "time";
      when.textContent = time;
      button.append(label, when);
      button.addEventListener("click", () => {
        state.followLive = false;
        $("follow-live").hidden = false;
        show(item.id);
      });
      entry.append(button);
      return entry;
    }));
  }

  function hertz(value) {
    return value >= 1000 ? (value / 1000).toFixed(value >= 10000 ? 0 : 1) + " kHz" : Math.round(value) + " Hz";
  }

  async function show(id) {
    const item = state.explained.find((e) => e.id === id);
    if (!item) return;
    state.shown = id;
    renderRecent();
    $("follow").textContent = state.followLive ? "(following live)" : "(pinned)";
    const base = "/api/v1/windows/" + encodeURIComponent(id);
    let documentData;
    try {
      documentData = await json(base);
    } catch (error) {
      if (state.shown === id) $("explanation-heading").textContent = "this explanation is gone (deleted by the disk budget?)";
      return;
    }
    if (state.shown !== id) return;
    const { time } = describe(item);
    $("explanation-heading").textContent = `${documentData.target.label} (p = ${documentData.target.probability.toFixed(3)}) · ` +
      `${item.source} · ${time} · ${documentData.method.name}, ${documentData.method.wavelet} × ${documentData.method.levels}`;
    renderProfile(documentData.scale_profile.levels);
    const link = $("document-link");
    link.hidden = false;
    link.href = base;

    const urls = await Promise.all([
      item.links.input_wav ? objectURL(item.links.input_wav) : null,
      item.links.interpretation_wav ? objectURL(item.links.interpretation_wav) : null,
      objectURL(item.links.scalogram_png),
    ]);
    if (state.shown !== id) {
      urls.forEach((url) => url && URL.revokeObjectURL(url));
      return;
    }
    [$("input-audio"), $("interpretation-audio"), $("scalogram")].forEach((element, index) => {
      if (element.src.startsWith("blob:")) URL.revokeObjectURL(element.src);
      setMedia(element, urls[index]);
    });
  }

  function setMedia(element, url) {
    if (url) element.src = url;
    else element.removeAttribute("src");
  }

  function renderProfile(levels) {
    const peak = Math.max(...levels.map((l) => l.importance), 1e-12);
    $("profile").replaceChildren(...levels.map((level) => {
      const row = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = level.name;
      const band = document.createElement("span");
      band.className = "band";
      band.textContent = level.frequency_band ? `${hertz(level.frequency_band[0])}–${hertz(level.frequency_band[1])}` : "";
      const track = document.createElement("span");
      track.className = "track";
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.display = "block";
      bar.style.width = (100 * level.importance / peak).toFixed(1) + "%";
      track.append(bar);
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = (100 * level.importance).toFixed(1) + "%";
      row.append(name, band, track, value);
      row.title = `${level.name}: ${(100 * level.importance).toFixed(2)}% of the attribution`;
      return row;
    }));
  }

  // MARK: - Events

  async function followEvents() {
    let lastID = null, delay = 1000;
    for (;;) {
      try {
        const headers = lastID ? { "Last-Event-ID": lastID } : {};
        const response = await api("/api/v1/events", { headers });
        if (!response.ok || !response.body) throw new Error("events: HTTP " + response.status);
        setStream("open");
        delay = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const message = parseEvent(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            if (message.id) lastID = message.id;
            if (message.data) handleEvent(message.event, JSON.parse(message.data));
          }
        }
      } catch (error) {
        if (error instanceof Unauthorized) return;
      }
      setStream("closed");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }

  function parseEvent(block) {
    const message = { event: "message", data: "", id: null };
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") message.event = value;
      else if (field === "data") message.data += (message.data ? "\n" : "") + value;
      else if (field === "id") message.id = value;
    }
    return message;
  }

  function handleEvent(kind, item) {
    state.liveEvents += 1;
    document.body.dataset.liveEvents = String(state.liveEvents);
    if (kind === "classified") addWindow(item);
    else if (kind === "explained") addExplained(item, true);
  }

  function setStream(status) {
    document.body.dataset.events = status;
    const pill = $("stream");
    pill.textContent = status === "open" ? "live" : "reconnecting";
    pill.className = "pill " + status;
  }

  // MARK: - Health

  function bytes(value) {
    const units = ["B", "kB", "MB", "GB", "TB"];
    let index = 0;
    while (value >= 1000 && index < units.length - 1) {
      value /= 1000;
      index += 1;
    }
    return value.toFixed(index ? 1 : 0) + " " + units[index];
  }

  async function pollHealth() {
    try {
      const response = await api("/healthz");
      const health = await response.json();
      const { source, explainer, disk } = health.components;
      const pill = $("status");
      pill.textContent = health.status;
      pill.className = "pill " + health.status;
      const rows = [
        ["Source", `${source.input} · ${source.state}`],
        ["Last window", source.seconds_since_last_window == null ? "none yet" : `${source.seconds_since_last_window.toFixed(1)} s ago`],
        ["Windows/s", source.windows_per_second.toFixed(2)],
        ["Queue", `${explainer.queue_depth} / ${explainer.queue_capacity}`],
        ["Explained", `${explainer.windows_explained} · dropped ${explainer.dropped} · failed ${explainer.failed}`],
        ["Disk", `${bytes(disk.output_bytes)}${disk.max_bytes ? " of " + bytes(disk.max_bytes) : ""} · ${bytes(disk.free_bytes)} free` +
          (disk.writes_paused ? " · writes paused" : "")],
      ];
      $("health-list").replaceChildren(...rows.flatMap(([term, value]) => {
        const dt = document.createElement("dt");
        dt.textContent = term;
        const dd = document.createElement("dd");
        dd.textContent = value;
        return [dt, dd];
      }));
      $("problems").textContent = health.problems.join("; ");
    } catch (error) {
      if (!(error instanceof Unauthorized)) $("status").textContent = "unreachable";
    }
  }

  // MARK: - Uploads

  async function upload(event) {
    event.preventDefault();
    const file = $("upload-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    $("upload-result").textContent = "explaining " + file.name + "…";
    try {
      const response = await api("/api/v1/explain", { method: "POST", body: form });
      const answer = await response.json();
      if (!response.ok) {
        $("upload-result").textContent = answer.error ? answer.error.message : "HTTP " + response.status;
        return;
      }
      $("upload-result").textContent = `${answer.windows.length} window(s) explained`;
      state.followLive = false;
      $("follow-live").hidden = false;
      // The explained events arrive through the stream too; show the first window now.
      const first = answer.windows[0];
      if (first) {
        addExplained({ ...first, time: new Date().toISOString(), source: "upload", prediction: first.document.target.label,
                       probability: first.document.target.probability }, false);
        show(first.id);
      }
    } catch (error) {
      $("upload-result").textContent = String(error.message || error);
    }
  }

  // MARK: - Start

  async function start() {
    state.info = await json("/api/v1/info");
    $("model").textContent = `${state.info.model.file} · ${state.info.source} · explains at p ≥ ${state.info.gates.min_probability}`;
    const [classified, explained] = await Promise.all([
      json(`/api/v1/windows?kind=classified&limit=${STRIP_WINDOWS}`),
      json(`/api/v1/windows?kind=explained&limit=${RECENT_ITEMS}`),
    ]);
    classified.windows.reverse().forEach(addWindow);
    explained.windows.reverse().forEach((item) => addExplained(item, false));
    if (state.explained.length) await show(state.explained[0].id);
    drawStrip();
  }

  function connect() {
    start().then(() => {
      followEvents();
      pollHealth();
      if (!state.healthTimer) state.healthTimer = setInterval(pollHealth, 5000);
    }).catch((error) => {
      if (!(error instanceof Unauthorized)) $("model").textContent = "cannot reach the daemon: " + error.message;
    });
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token").value.trim();
    sessionStorage.setItem("wamd-token", state.token);
    $("login").hidden = true;
    connect();
  });
  $("follow-live").addEventListener("click", () => {
    state.followLive = true;
    $("follow-live").hidden = true;
    if (state.explained.length) show(state.explained[0].id);
  });
  $("upload-form").addEventListener("submit", upload);
  window.addEventListener("resize", scheduleStrip);
  connect();
})();
