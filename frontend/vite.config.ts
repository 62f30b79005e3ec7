import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// Django serves dist/: index.html for every non-API path and /assets/* through whitenoise, so the
// default base "/" is right. `npm run dev` proxies the API to a local Django (DATAMOAT_API, default :8000).
export default defineConfig({
  plugins: [vue()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: {
    proxy: { "/api": { target: process.env.DATAMOAT_API ?? "http://127.0.0.1:8000", changeOrigin: false } },
  },
});
