"""Payment instruments: PIX BR Code and QR, boleto validation, card links, webhook signatures."""
