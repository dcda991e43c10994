/** The local DashScope-compatible server (placeholder until it lands). */
export {};
