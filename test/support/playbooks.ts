/** Playbooks the responder tests run (as YAML text, written into a playbooks directory). */

/**
 * Three calls to a receiver (`inputs.base`), the second of them slow: a responder killed while it hangs must resume
 * the run without repeating the first call. Needs `responder.http` to allow 127.0.0.1.
 */
export const THREE_CALLS = `
name: three-calls
description: three calls to a receiver; the second one is slow
inputs:
  base: { type: string }
steps:
  - id: first
    action: http.request
    with: { method: POST, url: '{{ inputs.base }}/first', body: { n: 1 } }
  - id: slow
    action: http.request
    with: { method: POST, url: '{{ inputs.base }}/slow', body: { n: 2 } }
    timeout: 3s
  - id: last
    action: http.request
    with: { method: POST, url: '{{ inputs.base }}/last', body: { n: 3 } }
`;

/**
 * One outgoing call to a receiver (`inputs.base`), waiting for a person with `approve`: what separation-of-duties
 * tests start as one person and decide as another. Needs `responder.http` to allow 127.0.0.1.
 */
export const APPROVED_CALL = `name: call-out
description: one outgoing call, approved by a person
inputs:
  base: { type: string }
steps:
  - id: call
    action: http.request
    with: { method: POST, url: '{{ inputs.base }}/hook', body: { ok: true } }
    approval: { approvers: [approve] }
`;
