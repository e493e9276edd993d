import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a `vbp serve` on 127.0.0.1:8080 (as the same origin: the
// server refuses browsers' requests from other origins).
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    sourcemap: false,
    // bench/ui.mjs reads it to sum what each screen loads
    manifest: true,
    chunkSizeWarningLimit: 1600,
    rollupOptions: {
      output: {
        // each screen is its own chunk (lazy routes) and Rollup shares what screens have in
        // common; ECharts is one chunk, loaded only by the screens with a chart
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'charts';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': {
        target: 'http://127.0.0.1:8080',
        configure: (proxy) => proxy.on('proxyReq', (req) => req.removeHeader('origin')),
      },
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
});
