/** Names both ends of the federation protocol must agree on (DESIGN §4). */
export const PROTOCOL = {
  /** HTTP header of an update upload: the signed envelope, base64 JSON. */
  updateHeader: 'x-emodistill-update',
  /** HTTP header of a model download: sha256 (hex) of the body. */
  sha256Header: 'x-emodistill-sha256',
  /** socket.io path; the handshake carries a signed request for GET on it. */
  socketPath: '/socket.io',
  /** Statistics-round payload: tensors of per-dimension moments and the metadata key of the site's classes and feature spec. */
  momentMeanTensor: 'moments/mean',
  momentVarianceTensor: 'moments/variance',
  siteStatisticsKey: 'emodistill.site_statistics',
} as const;
