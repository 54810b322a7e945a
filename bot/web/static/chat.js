// Quita web chat: one WebSocket, messages rendered with textContent only (never innerHTML).
"use strict";
(function () {
  const list = document.getElementById("messages");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const send = document.getElementById("send");
  const status = document.getElementById("status");
  const params = new URLSearchParams(location.search);
  const storageKey = "quita.session";
  const seen = new Set();
  let socket = null;
  let retry = 0;

  function uid() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/[^A-Za-z0-9-]/g, "");
  }

  function setOnline(online, text) {
    status.textContent = text;
    input.disabled = !online;
    send.disabled = !online;
  }

  function disableOldButtons() {
    list.querySelectorAll(".buttons button").forEach(function (b) { b.disabled = true; });
  }

  function addMessage(m) {
    if (m.id && seen.has(m.id)) return;
    if (m.id) seen.add(m.id);
    const item = document.createElement("li");
    item.className = "msg " + (m.author || "bot");
    item.dataset.author = m.author || "bot";
    if (m.author === "agent") {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = "Atendente";
      item.appendChild(who);
    }
    if (m.image) {
      const img = document.createElement("img");
      img.src = m.image;
      img.alt = m.caption || "QR Code PIX";
      item.appendChild(img);
      if (m.caption) item.appendChild(document.createTextNode(m.caption));
    } else if (m.copy_code) {
      const code = document.createElement("code");
      code.textContent = m.text;
      item.appendChild(code);
      const copy = document.createElement("button");
      copy.type = "button";
      copy.className = "copy";
      copy.textContent = "Copiar código";
      copy.addEventListener("click", function () {
        navigator.clipboard && navigator.clipboard.writeText(m.text);
        copy.textContent = "Copiado ✓";
      });
      item.appendChild(copy);
    } else {
      item.appendChild(document.createTextNode(m.text || ""));
    }
    if (m.buttons && m.buttons.length) {
      disableOldButtons();
      const row = document.createElement("div");
      row.className = "buttons";
      m.buttons.forEach(function (b) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.dataset.choice = b.id;
        button.addEventListener("click", function () { press(b); });
        row.appendChild(button);
      });
      item.appendChild(row);
    }
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function notice(text) {
    const item = document.createElement("li");
    item.className = "notice";
    item.textContent = text;
    list.appendChild(item);
  }

  function press(b) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    disableOldButtons();
    const id = uid();
    seen.add("local-" + id);
    addMessage({ author: "debtor", text: b.title });
    socket.send(JSON.stringify({ type: "button", id: id, choice: b.id }));
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
    addMessage({ author: "debtor", text: text });
    socket.send(JSON.stringify({ type: "text", id: uid(), text: text }));
    input.value = "";
  });

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/chat/ws");
    socket.addEventListener("open", function () {
      retry = 0;
      socket.send(JSON.stringify({
        type: "hello",
        session: localStorage.getItem(storageKey),
        invite: params.get("t"),
        locale: navigator.language,
      }));
    });
    socket.addEventListener("message", function (e) {
      const data = JSON.parse(e.data);
      if (data.type === "session") {
        localStorage.setItem(storageKey, data.session);
        setOnline(true, "online");
      } else if (data.type === "history") {
        list.textContent = "";
        seen.clear();
        data.messages.forEach(addMessage);
      } else if (data.type === "message") {
        addMessage(data);
      } else if (data.type === "error" && data.code === "too_long") {
        notice("Sua mensagem ficou longa demais. Pode resumir em até " + data.max + " caracteres?");
      } else if (data.type === "error" && data.code === "internal") {
        notice("Tivemos um problema técnico. Pode tentar de novo em instantes?");
      }
    });
    socket.addEventListener("close", function () {
      setOnline(false, "reconectando…");
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * retry);
    });
  }

  if (params.get("t") && params.get("t") !== localStorage.getItem("quita.invite")) {
    // A new invite link starts a fresh chat for that debtor on this device.
    localStorage.removeItem(storageKey);
    localStorage.setItem("quita.invite", params.get("t"));
  }
  connect();
})();
