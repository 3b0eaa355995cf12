/* The map page: the district's own geometry (grids, buildings, open cases), fetched as
   GeoJSON within the user's scope and drawn with Leaflet; a base map only when the server
   names a tile URL (the page must work on an intranet without one). Texts come translated
   from the server in #map-config; names and titles are inserted as text, never as HTML. */
(() => {
  "use strict";

  const element = document.getElementById("map");
  const configElement = document.getElementById("map-config");
  if (!element || !configElement || !window.L) return;
  const config = JSON.parse(configElement.textContent);
  const labels = config.labels;
  const status = document.getElementById("map-status");
  const finder = document.getElementById("map-grid");
  const narrow = window.matchMedia("(max-width: 700px)").matches;

  // How a grid looks by its open cases: none, some, some late; "unknown" when the user may
  // not see cases.
  const GRID_STYLES = {
    none: { color: "#137333", fillColor: "#34a853", fillOpacity: 0.15 },
    some: { color: "#b06000", fillColor: "#f9ab00", fillOpacity: 0.35 },
    late: { color: "#b3261e", fillColor: "#d93025", fillOpacity: 0.4 },
    unknown: { color: "#3c4043", fillColor: "#9aa0a6", fillOpacity: 0.15 },
  };

  function say(text, isError) {
    status.textContent = text || "";
    status.classList.toggle("is-error", Boolean(isError));
  }

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(href, text) {
    const anchor = make("a", null, text);
    anchor.href = href;
    return anchor;
  }

  function listUrl(params) {
    return `${config.caseList}?${new URLSearchParams(params)}`;
  }

  function level(properties) {
    if (properties.open === undefined) return "unknown";
    if (properties.late > 0) return "late";
    return properties.open > 0 ? "some" : "none";
  }

  // Micro-grids are drawn as dashed outlines inside their grid, which stays the one a click
  // opens (their own popups are a choice in "Find a grid").
  function gridStyle(feature) {
    const properties = feature.properties;
    const micro = properties.kind === "micro_grid";
    return {
      ...GRID_STYLES[level(properties)],
      weight: micro ? 1 : 1.5,
      dashArray: micro ? "4 3" : null,
      fill: !micro,
      className: `map-grid map-grid-${level(properties)}`,
    };
  }

  function gridPopup(properties) {
    const box = make("div", "map-popup");
    const title = make("p", "map-popup-title");
    title.append(make("strong", null, properties.name));
    if (properties.place) title.append(" ", make("span", "muted", properties.place));
    box.append(title, make("p", "map-popup-code", properties.code));
    const facts = make("dl");
    const fact = (label, value) => facts.append(make("dt", null, label), make("dd", null, value));
    if (properties.workers) {
      fact(labels.gridWorkers, properties.workers.length ? properties.workers.join("、") : "—");
    }
    if (properties.households !== undefined) fact(labels.households, properties.households);
    if (properties.open !== undefined) {
      fact(labels.openCases, properties.open);
      fact(labels.lateCases, properties.late);
    }
    if (facts.childElementCount) box.append(facts);
    if (config.layers.cases) {
      const more = make("p");
      more.append(link(listUrl({ grid: properties.id }), labels.viewCases));
      box.append(more);
    }
    return box;
  }

  function casePopup(properties) {
    const box = make("div", "map-popup");
    const title = make("p", "map-popup-title");
    title.append(make("strong", null, properties.title));
    box.append(title);
    const state = make("p", null, `${properties.number} · ${properties.state}`);
    if (properties.late) state.append(" ", make("span", "map-late", labels.late));
    box.append(state);
    const more = make("p");
    more.append(link(`${config.caseList}${properties.id}/`, labels.openCase));
    box.append(more);
    return box;
  }

  function load(url, signal) {
    return fetch(url, {
      signal,
      credentials: "same-origin",
      headers: { Accept: "application/geo+json" },
    }).then((response) => {
      if (!response.ok) throw new Error(`${url}: ${response.status}`);
      return response.json();
    });
  }

  const map = L.map(element, { zoomControl: false, minZoom: 3, maxZoom: 19 });
  map.setView([35, 105], 4); // China, until the grids say where the user's places are
  L.control.zoom({ zoomInTitle: labels.zoomIn, zoomOutTitle: labels.zoomOut }).addTo(map);
  map.on("popupopen", (event) => {
    const close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) close.setAttribute("aria-label", labels.close);
  });

  const overlays = {};
  if (config.tiles) {
    const tiles = L.tileLayer(config.tiles, { maxZoom: 19, maxNativeZoom: 18 }).addTo(map);
    overlays[labels.baseMap] = tiles;
  }

  const grids = L.geoJSON(null, {
    style: gridStyle,
    onEachFeature: (feature, layer) => {
      layer.bindPopup(() => gridPopup(feature.properties));
      if (feature.properties.kind === "micro_grid") {
        layer.options.interactive = false; // read when the layer is added, just after this
      } else {
        // Without a base map the names are what tells one grid from the next.
        layer.bindTooltip(feature.properties.name, {
          permanent: true,
          direction: "center",
          className: "map-grid-label",
          interactive: false,
        });
      }
    },
  }).addTo(map);
  overlays[labels.grids] = grids;
  // Names only once there is room for them.
  const LABELS_FROM_ZOOM = 14;
  const showLabels = () =>
    element.classList.toggle("map-zoomed-out", map.getZoom() < LABELS_FROM_ZOOM);
  map.on("zoomend", showLabels);
  showLabels();

  let buildings = null;
  if (config.layers.buildings) {
    buildings = L.geoJSON(null, {
      pointToLayer: (feature, latlng) =>
        L.circleMarker(latlng, {
          radius: 4,
          weight: 1,
          color: "#3c4043",
          fillColor: "#ffffff",
          fillOpacity: 1,
          className: "map-building",
        }),
      onEachFeature: (feature, layer) =>
        layer.bindPopup(() => make("strong", "map-popup-title", feature.properties.name)),
    }).addTo(map);
    overlays[labels.buildings] = buildings;
  }

  // Open cases: points clustered in the page when the server sends points, and the server's
  // own clusters when the view holds more cases than are worth sending one by one.
  let cases = null;
  let serverClusters = null;
  if (config.layers.cases) {
    cases = L.markerClusterGroup({
      showCoverageOnHover: false,
      maxClusterRadius: 48,
      chunkedLoading: true,
      iconCreateFunction: (cluster) => {
        const late = cluster.getAllChildMarkers().some((marker) => marker.options.late);
        return L.divIcon({
          html: `<span>${cluster.getChildCount()}</span>`,
          className: `map-cluster${late ? " is-late" : ""}`,
          iconSize: L.point(36, 36),
        });
      },
    });
    serverClusters = L.layerGroup();
    overlays[labels.openCases] = L.layerGroup([cases, serverClusters]).addTo(map);
  }

  const layersControl = L.control.layers(null, overlays, { collapsed: narrow }).addTo(map);
  const toggle = layersControl.getContainer().querySelector(".leaflet-control-layers-toggle");
  if (toggle) {
    toggle.title = labels.layers;
    toggle.setAttribute("aria-label", labels.layers);
  }

  if (config.layers.cases) {
    const legend = L.control({ position: "bottomleft" });
    legend.onAdd = () => {
      const box = make("div", "leaflet-control map-legend");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", labels.legend);
      [
        ["none", labels.noOpenCases],
        ["some", labels.openCases],
        ["late", labels.lateCases],
      ].forEach(([key, text]) => {
        const row = make("span", "map-legend-row");
        const swatch = make("span", `map-swatch map-swatch-${key}`);
        swatch.setAttribute("aria-hidden", "true");
        row.append(swatch, text);
        box.append(row);
      });
      return box;
    };
    legend.addTo(map);
  }

  // "Find a grid": the keyboard's way to every grid's popup.
  const gridLayers = new Map();
  finder.addEventListener("change", () => {
    const layer = gridLayers.get(finder.value);
    if (!layer) return;
    map.fitBounds(layer.getBounds(), { maxZoom: 17, padding: [24, 24] });
    layer.openPopup(layer.getBounds().getCenter());
  });

  function showGrids(data) {
    grids.addData(data);
    const features = [];
    grids.eachLayer((layer) => {
      gridLayers.set(String(layer.feature.properties.id), layer);
      features.push(layer.feature.properties);
    });
    features.sort((a, b) => a.code.localeCompare(b.code));
    for (const properties of features) {
      const option = make(
        "option",
        null,
        properties.place ? `${properties.place} ${properties.name}` : properties.name,
      );
      option.value = String(properties.id);
      finder.append(option);
    }
    finder.disabled = features.length === 0;
    if (features.length) {
      map.fitBounds(grids.getBounds(), { padding: [12, 12] });
    }
    return features.length;
  }

  function caseMarker(feature) {
    const [lng, lat] = feature.geometry.coordinates;
    const properties = feature.properties;
    const marker = L.marker([lat, lng], {
      icon: L.divIcon({
        className: `map-case${properties.late ? " is-late" : ""}`,
        iconSize: L.point(14, 14),
      }),
      title: properties.title,
      late: properties.late,
    });
    return marker.bindPopup(() => casePopup(properties));
  }

  // A cluster from the server: its count, red when some are late; a click (or Enter) zooms
  // to the cases it holds.
  function clusterMarker(feature) {
    const [lng, lat] = feature.geometry.coordinates;
    const { count, late, bbox } = feature.properties;
    const marker = L.marker([lat, lng], {
      icon: L.divIcon({
        html: `<span>${count}</span>`,
        className: `map-cluster${late ? " is-late" : ""}`,
        iconSize: L.point(40, 40),
      }),
      title: `${labels.openCases} ${count}${late ? ` · ${labels.lateCases} ${late}` : ""}`,
    });
    return marker.on("click", () => {
      const [west, south, east, north] = bbox;
      if (west === east && south === north) {
        map.setView([lat, lng], Math.min(map.getZoom() + 3, map.getMaxZoom()));
      } else {
        map.fitBounds([[south, west], [north, east]], { padding: [24, 24] });
      }
    });
  }

  // What was last asked for: points inside a box stay true when the view moves within it;
  // clusters are redrawn whenever the zoom changes.
  let loaded = null;
  let pending = null; // { url, promise, controller }

  function loadCases() {
    const view = map.getBounds();
    const zoom = map.getZoom();
    if (loaded && loaded.bounds.contains(view) && (!loaded.clustered || loaded.zoom === zoom)) {
      return Promise.resolve();
    }
    const wide = view.pad(0.25);
    const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value));
    const bbox = [
      clamp(wide.getWest(), 180),
      clamp(wide.getSouth(), 90),
      clamp(wide.getEast(), 180),
      clamp(wide.getNorth(), 90),
    ].map((value) => value.toFixed(6));
    const url = `${config.layers.cases}?${new URLSearchParams({ bbox: bbox.join(","), zoom })}`;
    if (pending && pending.url === url) return pending.promise;
    if (pending) pending.controller.abort();
    const controller = new AbortController();
    const promise = load(url, controller.signal).then((data) => {
      const clustered = data.features.some((feature) => feature.properties.cluster);
      cases.clearLayers();
      serverClusters.clearLayers();
      if (clustered) {
        data.features.forEach((feature) => serverClusters.addLayer(clusterMarker(feature)));
      } else {
        cases.addLayers(data.features.map(caseMarker));
      }
      loaded = { bounds: wide, zoom, clustered };
      element.dataset.cases = clustered ? "clusters" : "points";
    });
    pending = { url, promise, controller };
    return promise.finally(() => {
      if (pending && pending.controller === controller) pending = null;
    });
  }

  const loads = [load(config.layers.grids).then(showGrids)];
  if (buildings) loads.push(load(config.layers.buildings).then((data) => buildings.addData(data)));
  if (cases) {
    loads[0] = loads[0].then((count) => loadCases().then(() => count));
    map.on("moveend", () =>
      loadCases().catch((error) => {
        if (error.name !== "AbortError") say(labels.failed, true);
      }),
    );
  }
  Promise.allSettled(loads).then(([gridResult, ...others]) => {
    const failed = [gridResult, ...others].some((result) => result.status === "rejected");
    if (failed) {
      say(labels.failed, true);
    } else if (gridResult.value === 0) {
      say(labels.noGrids);
    } else {
      say("");
    }
    element.dataset.loaded = failed ? "failed" : "yes";
  });
})();
