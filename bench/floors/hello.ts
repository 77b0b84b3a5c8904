// Floor of the malformed-token join: a Worker that does no work at all, because the Worker rejects a
// malformed token before it touches storage.
export default {
  fetch(): Response {
    return new Response("hello");
  },
};
