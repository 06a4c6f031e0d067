// Preloaded with `node -r`: makes this process report the platform in FAKE_PLATFORM
// (`os-cpu[-libc]`, e.g. `linux-arm64-musl`, `freebsd-x64`), as the native module loader sees it.
const [os, cpu, libc] = process.env.FAKE_PLATFORM.split('-')
Object.defineProperty(process, 'platform', { value: os })
Object.defineProperty(process, 'arch', { value: cpu })
if (libc) {
  const getReport = process.report.getReport.bind(process.report)
  process.report.getReport = () => {
    const report = getReport()
    if (libc === 'musl') delete report.header.glibcVersionRuntime
    return report
  }
}
