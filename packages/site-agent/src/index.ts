// The public API of this package arrives with issue #4 (see DESIGN.md section 1).
export {};
