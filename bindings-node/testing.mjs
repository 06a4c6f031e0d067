// ESM entry of `paragon-connect/testing`: the same classes as the CommonJS one.
import testing from './testing.js'

export const { FakeParagon, Route, Call } = testing
