/* A patrol's page in the console: its trace drawn with Leaflet, one line per piece — where
   the phone had no position the trace has a gap, never a straight line across it —, the
   start and the end, the checkpoints passed and the cases found as markers. No base map
   unless the server names a tile URL (the page works on an intranet without one). Names and
   titles are inserted as text, never as HTML. */
(() => {
  "use strict";
  const element = document.getElementById("patrol-map");
  const configElement = document.getElementById("patrol-config");
  if (!element || !configElement || !window.L) return;
  const config = JSON.parse(configElement.textContent);
  const labels = config.labels;

  const map = L.map(element, { zoomControl: false, minZoom: 3, maxZoom: 19 });
  L.control.zoom({ zoomInTitle: labels.zoomIn, zoomOutTitle: labels.zoomOut }).addTo(map);
  if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19, maxNativeZoom: 18 }).addTo(map);

  function popup(lines, href) {
    const box = document.createElement("div");
    lines.forEach((text, index) => {
      const line = document.createElement(index === 0 && href ? "a" : "p");
      line.textContent = text;
      if (index === 0 && href) line.href = href;
      box.append(line);
    });
    return box;
  }

  const bounds = L.latLngBounds([]);
  const lines = (config.trace.coordinates || []).map((line) => line.map(([lng, lat]) => [lat, lng]));
  lines.forEach((line) => {
    line.forEach((spot) => bounds.extend(spot));
    if (line.length > 1) {
      L.polyline(line, { color: "#1a73e8", weight: 4, opacity: 0.85, className: "patrol-segment" }).addTo(map);
    } else {
      L.circleMarker(line[0], { radius: 3, color: "#1a73e8", className: "patrol-segment" }).addTo(map);
    }
  });
  if (lines.length) {
    const first = lines[0][0];
    const lastLine = lines[lines.length - 1];
    const last = lastLine[lastLine.length - 1];
    L.circleMarker(first, { radius: 7, color: "#137333", fillColor: "#34a853", fillOpacity: 1 })
      .bindTooltip(labels.start).addTo(map);
    L.circleMarker(last, { radius: 7, color: "#3c4043", fillColor: "#9aa0a6", fillOpacity: 1 })
      .bindTooltip(labels.end).addTo(map);
  }
  config.scans.forEach((scan) => {
    const spot = [scan.at[1], scan.at[0]];
    bounds.extend(spot);
    L.circleMarker(spot, { radius: 6, color: "#6a1b9a", fillColor: "#ab47bc", fillOpacity: 0.9, className: "patrol-scan" })
      .bindPopup(() => popup([scan.name, labels.checkpoint])).addTo(map);
  });
  config.findings.forEach((finding) => {
    const spot = [finding.at[1], finding.at[0]];
    bounds.extend(spot);
    L.circleMarker(spot, { radius: 9, color: "#b3261e", fillColor: "#d93025", fillOpacity: 0.9, className: "patrol-finding" })
      .bindPopup(() => popup([`${finding.number} ${finding.title}`, finding.state, labels.finding], finding.url))
      .addTo(map);
  });
  if (bounds.isValid()) {
    map.fitBounds(bounds.pad(0.15), { maxZoom: 18 });
  } else {
    map.setView([34.76, 113.6], 12);
    const note = document.createElement("p");
    note.className = "muted";
    note.textContent = labels.noTrace;
    element.after(note);
  }
})();
