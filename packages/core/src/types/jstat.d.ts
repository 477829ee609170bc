/** The part of jstat (MIT, no bundled typings) this package uses. */
declare module 'jstat' {
  const jstat: {
    readonly jStat: {
      readonly studentt: {
        /** Quantile of Student's t with `dof` degrees of freedom. */
        inv(p: number, dof: number): number;
      };
      readonly beta: {
        /** Quantile of the Beta(a, b) distribution. */
        inv(p: number, a: number, b: number): number;
      };
    };
  };
  export default jstat;
}
