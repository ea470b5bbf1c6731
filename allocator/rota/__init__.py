"""The meeting rota: data, model, plan, explain, baseline, check, outcome."""
