/** HTTP generation with connection reuse (placeholder until the HTTP issue lands). */
export {};
