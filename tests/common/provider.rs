// placeholder until the provider harness lands
