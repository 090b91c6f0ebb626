/** An answer other than the image: a status and a one-line JSON body `{error, limit?}` naming the limit exceeded. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The server option (as its flag's field name) a request went beyond, e.g. 'maxPixels', 'maxBodyMib'. */
    readonly limit?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The client closed the connection: nobody is left to answer, so the work stops. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientGoneError';
  }
}
