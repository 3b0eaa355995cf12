/* Inspection campaigns: the coverage map (the campaign's buildings as coloured points, drawn
   by Leaflet from #campaign-map-config, with no base map unless the server names tile URLs),
   and the report's print button. Names are inserted as text, never as HTML. */
(() => {
  "use strict";

  const printButton = document.querySelector("[data-print]");
  if (printButton) printButton.addEventListener("click", () => window.print());

  const element = document.getElementById("campaign-map");
  const configElement = document.getElementById("campaign-map-config");
  if (!element || !configElement || !window.L) return;
  const config = JSON.parse(configElement.textContent);
  const map = L.map(element, { minZoom: 3, maxZoom: 19 });
  if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19, maxNativeZoom: 18 }).addTo(map);
  const renderer = L.canvas({ padding: 0.2 });
  const points = [];
  for (const [lng, lat, status, name, grid] of config.buildings) {
    const colour = config.colours[status];
    const marker = L.circleMarker([lat, lng], {
      renderer,
      radius: 6,
      color: "#fff",
      weight: 1,
      fillColor: colour,
      fillOpacity: 0.9,
    }).addTo(map);
    marker.bindTooltip(`${grid} · ${name} · ${config.labels[status]}`);
    points.push([lat, lng]);
  }
  if (points.length) map.fitBounds(points, { padding: [20, 20] });
  else map.setView([34.76, 113.6], 12);

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const box = document.createElement("div");
    box.className = "campaign-map-legend";
    box.setAttribute("aria-label", config.labels.legend);
    for (const status of ["todo", "ok", "hazard"]) {
      const row = document.createElement("div");
      const dot = document.createElement("i");
      dot.style.background = config.colours[status];
      row.append(dot, document.createTextNode(config.labels[status]));
      box.append(row);
    }
    return box;
  };
  legend.addTo(map);
})();
