/*
 * casedesk upload client: tus 1.0.0 over XMLHttpRequest, written here, no third-party code
 * (D1: several files at once, resumable, integrity-checked, no size limit, visible progress).
 *
 * - Files are sent in 8 MB chunks (PATCH); each chunk carries Upload-Checksum: sha256 of its
 *   bytes (crypto.subtle), and the server discards a chunk that does not match (460).
 * - Before a new upload is created the whole file is hashed and its SHA-256 announced in
 *   Upload-Metadata (sha256): the server refuses to attach other bytes (422). WebCrypto has
 *   no streaming digest and hashing a whole file with it needs the file in memory, so the
 *   file is read in 8 MB slices through the small incremental SHA-256 below (FIPS 180-4),
 *   memory flat for any size; it costs one extra local read, shown as "Checking the file".
 *   A resumed upload already carries its digest and is not hashed again.
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

  /* SHA-256 (FIPS 180-4), fed incrementally: update(Uint8Array)…, then hex(). */
  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
  ]);

  function Sha256() {
    this.h = new Int32Array([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
      0x5be0cd19,
    ]);
    this.w = new Int32Array(64);
    this.buffer = new Uint8Array(64);
    this.buffered = 0;
    this.length = 0;
  }

  Sha256.prototype.block = function (bytes, at) {
    var w = this.w;
    var h = this.h;
    var i;
    for (i = 0; i < 16; i += 1) {
      var j = at + i * 4;
      w[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
    }
    for (i = 16; i < 64; i += 1) {
      var a = w[i - 15];
      var b = w[i - 2];
      var s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      var s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    var A = h[0], B = h[1], C = h[2], D = h[3], E = h[4], F = h[5], G = h[6], H = h[7];
    for (i = 0; i < 64; i += 1) {
      var S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
      var t1 = (H + S1 + ((E & F) ^ (~E & G)) + K[i] + w[i]) | 0;
      var S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
      var t2 = (S0 + ((A & B) ^ (A & C) ^ (B & C))) | 0;
      H = G;
      G = F;
      F = E;
      E = (D + t1) | 0;
      D = C;
      C = B;
      B = A;
      A = (t1 + t2) | 0;
    }
    h[0] = (h[0] + A) | 0;
    h[1] = (h[1] + B) | 0;
    h[2] = (h[2] + C) | 0;
    h[3] = (h[3] + D) | 0;
    h[4] = (h[4] + E) | 0;
    h[5] = (h[5] + F) | 0;
    h[6] = (h[6] + G) | 0;
    h[7] = (h[7] + H) | 0;
  };

  Sha256.prototype.update = function (bytes) {
    var at = 0;
    this.length += bytes.length;
    if (this.buffered) {
      var take = Math.min(64 - this.buffered, bytes.length);
      this.buffer.set(bytes.subarray(0, take), this.buffered);
      this.buffered += take;
      at = take;
      if (this.buffered < 64) {
        return;
      }
      this.block(this.buffer, 0);
      this.buffered = 0;
    }
    for (; at + 64 <= bytes.length; at += 64) {
      this.block(bytes, at);
    }
    this.buffer.set(bytes.subarray(at), 0);
    this.buffered = bytes.length - at;
  };

  Sha256.prototype.hex = function () {
    var bits = this.length * 8;
    var tail = new Uint8Array(this.buffered < 56 ? 64 : 128);
    tail.set(this.buffer.subarray(0, this.buffered), 0);
    tail[this.buffered] = 0x80;
    var end = tail.length;
    tail[end - 1] = bits & 0xff;
    tail[end - 2] = (bits >>> 8) & 0xff;
    tail[end - 3] = (bits >>> 16) & 0xff;
    tail[end - 4] = (bits >>> 24) & 0xff;
    var high = Math.floor(bits / 0x100000000);
    tail[end - 5] = high & 0xff;
    tail[end - 6] = (high >>> 8) & 0xff;
    tail[end - 7] = (high >>> 16) & 0xff;
    tail[end - 8] = (high >>> 24) & 0xff;
    for (var at = 0; at < tail.length; at += 64) {
      this.block(tail, at);
    }
    var out = "";
    for (var i = 0; i < 8; i += 1) {
      out += ("00000000" + (this.h[i] >>> 0).toString(16)).slice(-8);
    }
    return out;
  };

  window.casedeskSha256 = Sha256; // for the browser test against WebCrypto's digest

  async function fileSha256(row) {
    var file = row.file;
    var digest = new Sha256();
    for (var offset = 0; offset < file.size; offset += CHUNK) {
      var slice = file.slice(offset, Math.min(offset + CHUNK, file.size));
      digest.update(new Uint8Array(await slice.arrayBuffer()));
      row.say("Checking the file… " + Math.floor((offset * 100) / Math.max(file.size, 1)) + "%");
    }
    return digest.hex();
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
    row.sha256 = row.sha256 || (await fileSha256(row));
    var metadata = [
      "case " + base64Text(caseNumber),
      "filename " + base64Text(file.name),
      "filetype " + base64Text(file.type || "application/octet-stream"),
      "sha256 " + base64Text(row.sha256),
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
