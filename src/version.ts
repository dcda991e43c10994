/** The package version (kept equal to package.json's by a test) and the user agent built from it. */
export const VERSION = '0.1.0';

/** Sent as `user-agent`, in the shape the official SDKs use. */
export const USER_AGENT =
  `dashscope-tts-pool/${VERSION}; node/${process.versions.node}; platform/${process.platform}; ` +
  `processor/${process.arch}`;
