'use strict'
// The official browser SDK (@useparagon/connect), loaded in a jsdom window (it reads `window`,
// `document` and storage), and pointed at a sandbox.

const { JSDOM } = require('jsdom')

let loaded

/** The browser SDK's `paragon`, its services at `sandbox`; `restore()` gives console.log back. */
function browserSdk(sandbox) {
  if (!loaded) {
    const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://localhost/' })
    for (const name of ['window', 'document', 'localStorage', 'sessionStorage', 'HTMLElement', 'MutationObserver']) {
      Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true, writable: true })
    }
    loaded = require('@useparagon/connect').paragon
  }
  // It logs that it has no element to draw its connect portal in: not wanted here.
  const log = console.log
  console.log = () => {}
  loaded.configureGlobal({ host: 'any' }, { ZEUS_PUBLIC_URL: sandbox.url, WORKER_PROXY_PUBLIC_URL: sandbox.url, HERMES_PUBLIC_URL: sandbox.url })
  return { paragon: loaded, restore: () => { console.log = log } }
}

module.exports = { browserSdk }
