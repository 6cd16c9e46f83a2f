/*
 * casedesk upload client: tus 1.0.0 over XMLHttpRequest, written here, no third-party code
 * (D1: several files at once, resumable, integrity-checked, no size limit, visible progress).
 *
 * - Files are sent in 8 MB chunks (PATCH); each chunk carries Upload-Checksum: sha256 of its
 *   bytes (crypto.subtle), and the server discards a chunk that does not match (460).
 * - A dropped connection or a restarted server is retried with exponential back-off; before
 *   each retry a HEAD asks the server for the offset it really has.
 * - The upload URL is remembered in localStorage under case + name + size + lastModified,
 *   so picking the same file again after a page reload continues where it stopped.
 * - Session auth: the page's CSRF token goes in X-CSRFToken on every write.
 */
(function () {
  "use strict";

  var CHUNK = 8 * 1024 * 1024;
  var PARALLEL = 3;
  var MAX_ATTEMPTS = 60;
  var MAX_DELAY_MS = 10000;
  var STORE = "casedesk.tus:";

  var panel = document.getElementById("case-files");
  if (!panel || !panel.querySelector("[data-uploader]")) {
    return;
  }
  var caseNumber = panel.getAttribute("data-case");
  var endpoint = panel.getAttribute("data-upload-url");
  var csrf = panel.getAttribute("data-csrf");
  var input = panel.querySelector("input[type=file]");
  var dropzone = panel.querySelector("[data-dropzone]");
  var list = panel.querySelector("[data-upload-list]");
  var status = panel.querySelector("[data-upload-status]");
  var queue = [];
  var running = 0;

  function announce(text) {
    status.textContent = text;
  }

  function base64(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i += 1) {
      text += String.fromCharCode(bytes[i]);
    }
    return window.btoa(text);
  }

  function base64Text(text) {
    return base64(new TextEncoder().encode(text));
  }

  function fingerprint(file) {
    return STORE + [caseNumber, file.name, file.size, file.lastModified].join(":");
  }

  function formatBytes(bytes) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit += 1;
    }
    return value.toFixed(unit ? 1 : 0) + " " + units[unit];
  }

  function sleep(ms) {
    return new Promise(function (resolve) {
      window.setTimeout(resolve, ms);
    });
  }

  /* One HTTP exchange; resolves with the response, rejects only on a network failure. */
  function send(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url, true);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      if (method !== "HEAD") {
        xhr.setRequestHeader("X-CSRFToken", csrf);
      }
      Object.keys(headers).forEach(function (name) {
        xhr.setRequestHeader(name, headers[name]);
      });
      if (onProgress && xhr.upload) {
        xhr.upload.onprogress = function (event) {
          onProgress(event.loaded);
        };
      }
      xhr.onload = function () {
        resolve({
          status: xhr.status,
          text: xhr.responseText,
          header: function (name) {
            return xhr.getResponseHeader(name);
          },
        });
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
        reject(new Error("network"));
      };
      xhr.send(body === undefined ? null : body);
    });
  }

  async function chunkChecksum(blob) {
    if (!window.crypto || !window.crypto.subtle) {
      return null; // not a secure context: the server still verifies the whole file
    }
    var digest = await window.crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
    return "sha256 " + base64(digest);
  }

  function Retry(reason) {
    this.reason = reason;
  }

  function Fatal(reason) {
    this.reason = reason;
  }

  function reasonOf(response) {
    return (response.text || "").trim() || "The server answered " + response.status + ".";
  }

  /* A row in the list: name, <progress>, percent and speed. */
  function Row(file) {
    this.file = file;
    this.li = document.createElement("li");
    this.li.className = "upload";
    var name = document.createElement("span");
    name.className = "upload__name";
    name.textContent = file.name + " (" + formatBytes(file.size) + ")";
    this.state = document.createElement("span");
    this.state.className = "upload__state";
    this.state.textContent = "Waiting…";
    this.bar = document.createElement("progress");
    this.bar.max = Math.max(file.size, 1);
    this.bar.value = 0;
    this.bar.setAttribute("aria-label", "Upload of " + file.name);
    this.li.appendChild(name);
    this.li.appendChild(this.state);
    this.li.appendChild(this.bar);
    list.appendChild(this.li);
    this.sampleAt = 0;
    this.sampleBytes = 0;
    this.speed = 0;
  }

  Row.prototype.progress = function (bytes) {
    var now = performance.now();
    if (!this.sampleAt) {
      this.sampleAt = now;
      this.sampleBytes = bytes;
    } else if (now - this.sampleAt >= 500) {
      var rate = ((bytes - this.sampleBytes) * 1000) / (now - this.sampleAt);
      this.speed = this.speed ? 0.6 * this.speed + 0.4 * rate : rate;
      this.sampleAt = now;
      this.sampleBytes = bytes;
    }
    var size = Math.max(this.file.size, 1);
    var percent = Math.min(100, Math.floor((bytes * 100) / size));
    this.bar.value = bytes;
    this.li.setAttribute("data-percent", String(percent));
    this.state.textContent =
      percent + "%" + (this.speed > 0 ? " · " + formatBytes(this.speed) + "/s" : "");
  };

  Row.prototype.say = function (text, kind) {
    this.state.textContent = text;
    this.li.classList.remove("upload--error", "upload--done");
    if (kind) {
      this.li.classList.add("upload--" + kind);
    }
  };

  async function resumeOrCreate(row, key) {
    var url = window.localStorage.getItem(key);
    if (url) {
      var head = await send("HEAD", url, {});
      if (head.status === 200 || head.status === 204) {
        return { url: url, offset: parseInt(head.header("Upload-Offset"), 10) || 0, head: head };
      }
      if (head.status !== 404 && head.status !== 410) {
        throw head.status === 423 || head.status >= 500 ? new Retry("busy") : new Fatal(reasonOf(head));
      }
      window.localStorage.removeItem(key);
    }
    var file = row.file;
    var metadata = [
      "case " + base64Text(caseNumber),
      "filename " + base64Text(file.name),
      "filetype " + base64Text(file.type || "application/octet-stream"),
    ].join(",");
    var created = await send("POST", endpoint, {
      "Upload-Length": String(file.size),
      "Upload-Metadata": metadata,
    });
    if (created.status !== 201) {
      throw created.status >= 500 || created.status === 423
        ? new Retry("server")
        : new Fatal(reasonOf(created));
    }
    url = created.header("Location");
    window.localStorage.setItem(key, url);
    return { url: url, offset: parseInt(created.header("Upload-Offset"), 10) || 0, head: created };
  }

  async function upload(row) {
    var file = row.file;
    var key = fingerprint(file);
    var attempt = 0;
    row.say("Starting…");
    for (;;) {
      try {
        var target = await resumeOrCreate(row, key);
        var offset = target.offset;
        var last = target.head;
        row.progress(offset);
        while (offset < file.size) {
          var blob = file.slice(offset, Math.min(offset + CHUNK, file.size));
          var headers = {
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": String(offset),
          };
          var checksum = await chunkChecksum(blob);
          if (checksum) {
            headers["Upload-Checksum"] = checksum;
          }
          var start = offset;
          last = await send("PATCH", target.url, headers, blob, function (loaded) {
            row.progress(start + loaded);
          });
          if (last.status === 204) {
            offset = parseInt(last.header("Upload-Offset"), 10);
            attempt = 0;
            row.progress(offset);
          } else if (last.status === 404 || last.status === 410) {
            window.localStorage.removeItem(key);
            throw new Retry("gone");
          } else if ([409, 423, 460].indexOf(last.status) >= 0 || last.status >= 500) {
            throw new Retry("status " + last.status);
          } else {
            throw new Fatal(reasonOf(last));
          }
        }
        window.localStorage.removeItem(key);
        var sha = last.header("Upload-Sha256") || "";
        row.bar.value = row.bar.max;
        row.li.setAttribute("data-percent", "100");
        row.say("Done · SHA-256 " + sha, "done");
        row.li.setAttribute("data-sha256", sha);
        announce(file.name + " uploaded.");
        return true;
      } catch (error) {
        if (error instanceof Fatal) {
          row.say(error.reason, "error");
          announce(file.name + ": " + error.reason);
          return false;
        }
        attempt += 1;
        if (attempt > MAX_ATTEMPTS) {
          row.say("The connection keeps failing; pick the file again later to continue.", "error");
          announce(file.name + " could not be uploaded.");
          return false;
        }
        var delay = Math.min(MAX_DELAY_MS, 500 * Math.pow(2, attempt - 1));
        delay = delay / 2 + Math.random() * (delay / 2);
        row.say("Connection lost — retrying in " + Math.ceil(delay / 1000) + " s", null);
        if (attempt === 1) {
          announce(file.name + ": connection lost, retrying.");
        }
        await sleep(delay);
      }
    }
  }

  async function refreshList() {
    try {
      var response = await fetch(window.location.href, { credentials: "same-origin" });
      if (!response.ok) {
        return;
      }
      var doc = new DOMParser().parseFromString(await response.text(), "text/html");
      var fresh = doc.querySelector("[data-files-list]");
      var current = panel.querySelector("[data-files-list]");
      if (fresh && current) {
        current.replaceWith(document.importNode(fresh, true));
      }
    } catch (error) {
      /* the list refreshes on the next page load */
    }
  }

  function pump() {
    while (running < PARALLEL && queue.length) {
      var row = queue.shift();
      running += 1;
      upload(row).then(function (ok) {
        running -= 1;
        if (ok) {
          refreshList();
        }
        pump();
      });
    }
  }

  function add(files) {
    Array.prototype.forEach.call(files, function (file) {
      queue.push(new Row(file));
    });
    announce(files.length + (files.length === 1 ? " file" : " files") + " queued for upload.");
    pump();
  }

  input.addEventListener("change", function () {
    if (input.files && input.files.length) {
      add(input.files);
      input.value = "";
    }
  });
  ["dragenter", "dragover"].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      event.preventDefault();
      dropzone.classList.add("dropzone--over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    dropzone.addEventListener(name, function () {
      dropzone.classList.remove("dropzone--over");
    });
  });
  dropzone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      add(event.dataTransfer.files);
    }
  });
})();
