// counter: a tiny test design for the rxdsp-synth flow and the board bitstream
// smoke test. A 24-bit free-running counter whose top bits drive LEDs, plus a
// UART loopback (rx echoed to tx) so every pin in the board .lpf files is used.
module counter (
    input  wire       clk,
    input  wire       rst_n,
    input  wire       uart_rx,
    output wire       uart_tx,
    output wire [3:0] led
);
    reg [23:0] cnt;
    reg        rx_q;
    always @(posedge clk) begin
        if (!rst_n) cnt <= 24'd0;
        else        cnt <= cnt + 24'd1;
        rx_q <= uart_rx;
    end
    assign led     = cnt[23:20];
    assign uart_tx = rx_q;
endmodule
