// wide_io: 301 I/O pins, more than the iCE40 HX8K ct256 package has (the flow
// must report "does not fit"), fewer than the ECP5 CABGA381 has.
module wide_io (
    input  wire         clk,
    input  wire [149:0] a,
    output reg  [149:0] q
);
    always @(posedge clk) q <= a ^ {a[0], a[149:1]};
endmodule
