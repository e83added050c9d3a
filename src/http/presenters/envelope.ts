/** The success envelope every JSON route answers with; `data` is the route's presented view. */
export interface Envelope<T> {
  errcode: 0;
  errmsg: 'ok';
  data: T;
}

export function envelope<T>(data: T): Envelope<T> {
  return { errcode: 0, errmsg: 'ok', data };
}
