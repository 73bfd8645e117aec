// Where the dashboard finds the API. `npm start` serves its own (its local API); for a Pages
// deployment, build with DASHBOARD_API_BASE=https://api.example.com npm run dashboard:build
// (scripts/dashboard-build.mjs writes this file into dist/), or edit dist/config.js.
// An empty apiBase means the page's own origin.
window.EDGE_INVENTORY_CONFIG = { apiBase: "" };
